//! Policy rollout (issue 17, item 7): `gate policy keygen|push|fetch|status`.
//!
//! An administrator signs each version of the fleet policy with an Ed25519 key
//! (`gate policy keygen`) and pushes it (`gate policy push FILE`): linted and its inline tests
//! run exactly as a host will load it, then stored through `gate.push_policy` as the next
//! version (schema_policy.sql). A host fetches the newest (`gate policy fetch`), checks the
//! signature against the key its own system policy pins (`[fleet] policy_key`), refuses a
//! version older than the one it has, and caches it beside its ledger; the loader then uses
//! it as the highest system layer, verifying it again on every load (see
//! `policy::load::fleet_layer`). What is signed and the cache's format: `policy::signed`.

use super::typed::Typed;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::{Fleet, config};
use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::policy::signed::{self, PublicKey, Signed, SigningKey};
use crate::policy::{LoadOptions, Origin, Problem, Problems};

/// The key files `gate policy keygen` writes.
pub const PRIVATE_KEY: &str = "policy-signing.key";
pub const PUBLIC_KEY: &str = "policy-signing.pub";

/// How many times a push signs again when another push took its version meanwhile.
const PUSH_ATTEMPTS: usize = 5;

fn default_key_dir() -> Result<PathBuf> {
    crate::env_vars::config_dir()
        .map(|d| d.join("gate"))
        .ok_or_else(|| Error::Usage("no HOME or XDG_CONFIG_HOME: say where with --out".into()))
}

/// `gate policy keygen [--out DIR]`: a new signing key, never over an existing one.
pub fn keygen(out: Option<PathBuf>) -> Result<Exit> {
    let dir = match out {
        Some(d) => d,
        None => default_key_dir()?,
    };
    let (private, public) = (dir.join(PRIVATE_KEY), dir.join(PUBLIC_KEY));
    for p in [&private, &public] {
        if std::fs::symlink_metadata(p).is_ok() {
            return Err(Error::Usage(format!(
                "{} exists: gate policy keygen never replaces a key (hosts pin the old one); move it away or use --out DIR",
                p.display()
            )));
        }
    }
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::Io(format!("cannot create {}: {e}", dir.display())))?;
    let (key, pem) = SigningKey::generate().map_err(Error::Io)?;
    let write = |path: &Path, text: &str, mode: u32| -> Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(path)
            .map_err(|e| Error::Io(format!("cannot create {}: {e}", path.display())))?;
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| Error::Io(format!("cannot write {}: {e}", path.display())))
    };
    write(&private, &pem, 0o600)?;
    let public_key = key.public();
    write(&public, &format!("{}\n", public_key.text()), 0o644)?;
    {
        println!(
            "wrote {} (mode 0600) and {}",
            private.display(),
            public.display()
        );
        println!("fingerprint {}", public_key.fingerprint());
        println!(
            "pin it in every host's system policy ({}):",
            crate::policy::system_policy()
        );
        println!("  [fleet]");
        println!("  policy_key = \"{}\"", public_key.text());
    }
    Ok(Exit::Success)
}

/// Problems of a policy as a host would load it from the fleet: what loading finds, the
/// regexes, and its inline tests (`gate rules lint`).
fn lint(name: &str, version: i64, body: &str) -> std::result::Result<(usize, usize), Problems> {
    let policy = crate::policy::load_fleet_text(name, version, body)?;
    let lint = crate::commands::rules::Lint::of(&policy);
    if !lint.problems.is_empty() {
        return Err(Problems(lint.problems));
    }
    if !lint.failures.is_empty() {
        return Err(Problems(
            lint.failures
                .into_iter()
                .map(|f| Problem {
                    origin: f.origin,
                    message: f.message,
                })
                .collect(),
        ));
    }
    Ok((policy.rules.len(), lint.passed))
}

/// `gate policy push FILE [--key KEY]`.
pub fn push(file: PathBuf, key: Option<PathBuf>, json: bool) -> Result<Exit> {
    let bytes = std::fs::read(&file).map_err(|e| {
        Error::Policy(one_problem(
            &file,
            format!("cannot read the policy to push: {e}"),
        ))
    })?;
    let body = String::from_utf8(bytes)
        .map_err(|_| Error::Policy(one_problem(&file, "the policy is not valid UTF-8".into())))?;
    // Nothing reaches the fleet that a host would refuse to load.
    let (rules, tests) = lint(&file.display().to_string(), 1, &body).map_err(Error::Policy)?;
    let key_path = match key {
        Some(k) => k,
        None => default_key_dir()?.join(PRIVATE_KEY),
    };
    let pem = std::fs::read_to_string(&key_path).map_err(|e| {
        Error::Config(format!(
            "cannot read the signing key {}: {e} (make one with `gate policy keygen`, or say which with --key)",
            key_path.display()
        ))
    })?;
    let signing = SigningKey::from_pem(&pem)
        .map_err(|e| Error::Config(format!("{}: {e}", key_path.display())))?;
    // A person's own role, as for approving: PostgreSQL says who pushed.
    let mut fleet = Fleet::open_target(config::approver_target()?)?;
    let sha256 = signed::sha256_hex(&body);
    let mut attempt = 0;
    let (version, pushed_by, pushed_at) = loop {
        attempt += 1;
        let next: i64 = fleet
            .client
            .q_one(
                "SELECT coalesce(max(version), 0) + 1 FROM gate.policies",
                &[],
            )
            .map_err(|e| fleet.err(&e))?
            .get(0);
        let signature = signing.sign(next, &body);
        match fleet.client.q_one(
            "SELECT version, pushed_at, session_user::text FROM gate.push_policy($1, $2, $3, $4)",
            &[&next, &body, &sha256, &signature],
        ) {
            Ok(row) => break (row.get::<_, i64>(0), row.get::<_, String>(2), row.get(1)),
            Err(e)
                if e.code() == Some(&postgres::error::SqlState::T_R_SERIALIZATION_FAILURE)
                    && attempt < PUSH_ATTEMPTS =>
            {
                continue;
            }
            Err(e) => return Err(fleet.err(&e)),
        }
    };
    let fingerprint = signing.public().fingerprint();
    if json {
        crate::json::print(&crate::json::PolicyPush {
            ok: true,
            fleet: fleet.target.display(),
            version,
            sha256,
            key_fingerprint: fingerprint,
            pushed_by,
            pushed_at,
            rules,
            tests_passed: tests,
        });
    } else {
        println!(
            "pushed {} as fleet policy version {version} ({rules} rules, {tests} inline tests passed), signed by {fingerprint}, to {}",
            file.display(),
            fleet.target.display()
        );
        println!("hosts take it with `gate policy fetch`");
    }
    Ok(Exit::Success)
}

fn one_problem(path: &Path, message: String) -> Problems {
    Problems(vec![Problem {
        origin: Origin {
            file: path.display().to_string(),
            line: 1,
            column: 1,
        },
        message,
    }])
}

/// The key this host's system policy pins, and the policy that says so (without the cache).
fn pinned() -> Result<Option<PublicKey>> {
    let (policy, _) = crate::policy::load(&LoadOptions {
        without_fleet_policy: true,
        ..Default::default()
    })
    .map_err(Error::Policy)?;
    policy
        .fleet_key
        .map(|k| PublicKey::parse(&k).map_err(Error::Config))
        .transpose()
}

fn cache_path() -> Result<PathBuf> {
    signed::cache_path().ok_or_else(|| {
        Error::Config(
            "no HOME or XDG_DATA_HOME: gate has no state directory for the fleet policy".into(),
        )
    })
}

/// The newest version in the fleet, if any.
fn newest(fleet: &mut Fleet) -> Result<Option<Signed>> {
    let row = fleet
        .client
        .q_opt(
            "SELECT version, sha256, body, signature, pushed_by::text,
                    gate.time_text(pushed_at)
             FROM gate.policies ORDER BY version DESC LIMIT 1",
            &[],
        )
        .map_err(|e| fleet.err(&e))?;
    Ok(row.map(|r| Signed {
        version: r.get(0),
        sha256: r.get(1),
        body: r.get(2),
        signature: r.get(3),
        pushed_by: r.get(4),
        pushed_at: r.get(5),
    }))
}

/// The newest version number in the fleet (`gate fleet status`).
pub fn newest_version(fleet: &mut Fleet) -> Result<Option<i64>> {
    let row = fleet
        .client
        .q_one("SELECT max(version) FROM gate.policies", &[])
        .map_err(|e| fleet.err(&e))?;
    Ok(row.get(0))
}

/// The policy version of each host's newest request, as far as this role sees streams.
pub fn host_versions(fleet: &mut Fleet) -> Result<std::collections::BTreeMap<String, i64>> {
    let rows = fleet
        .client
        .q(
            "SELECT stream::text, policy_version FROM gate.host_policy_versions()",
            &[],
        )
        .map_err(|e| fleet.err(&e))?;
    Ok(rows
        .iter()
        .filter_map(|r| r.get::<_, Option<i64>>(1).map(|v| (r.get(0), v)))
        .collect())
}

fn no_key() -> Error {
    Error::Config(format!(
        "no fleet policy key is pinned: add `policy_key = \"ed25519:…\"` (from `gate policy keygen`) under [fleet] in {}",
        crate::policy::system_policy()
    ))
}

/// `gate policy fetch`: the newest signed version, into the cache, if it is newer and genuine.
/// What a fetch did.
enum Fetched {
    /// No fleet policy has been pushed.
    NonePushed,
    /// The newest version is the one cached.
    InForce(i64),
    /// A newer version was checked and cached.
    New(Signed),
}

/// Fetch the newest version into the cache at `path`: its signature checked against `key`, no
/// older than (nor another text of) the cached one, and loadable by this gate.
fn fetch_on(fleet: &mut Fleet, key: &PublicKey, path: &Path) -> Result<Fetched> {
    let cached = signed::read_cache(path, key);
    let Some(newest) = newest(fleet)? else {
        return Ok(Fetched::NonePushed);
    };
    let keep = match &cached {
        Ok(Some(c)) => format!("the cached version {} stays in force", c.version),
        _ => "nothing was replaced".to_string(),
    };
    newest.verify(key).map_err(|why| {
        Error::Config(format!(
            "refusing fleet policy version {}: {why} (pushed by {} at {}); {keep}",
            newest.version, newest.pushed_by, newest.pushed_at
        ))
    })?;
    if let Ok(Some(c)) = &cached {
        if newest.version < c.version {
            return Err(Error::Config(format!(
                "refusing fleet policy version {}: this host already has version {}, and versions only rise (a rollback of the fleet's database?); {keep}",
                newest.version, c.version
            )));
        }
        if newest.version == c.version {
            if newest != *c {
                return Err(Error::Config(format!(
                    "refusing fleet policy version {}: the fleet now holds a different version {} than the one this host has (same number, other text or signature); {keep}",
                    newest.version, c.version
                )));
            }
            return Ok(Fetched::InForce(c.version));
        }
    }
    // What is cached must load here: a policy this gate cannot load would stop every command.
    crate::policy::load_fleet_text(
        &format!("fleet policy v{}", newest.version),
        newest.version,
        &newest.body,
    )
    .map_err(Error::Policy)?;
    write_cache(path, &newest, key)?;
    Ok(Fetched::New(newest))
}

/// For the background shipper, once it has shipped: where the system policy pins a key, fetch
/// a newer fleet policy over the same connection (what it refuses stays refused; `gate policy
/// status` says why).
pub fn fetch_quietly(fleet: &mut Fleet) -> Result<()> {
    let Some(key) = pinned()? else {
        return Ok(());
    };
    fetch_on(fleet, &key, &cache_path()?).map(|_| ())
}

pub fn fetch(json: bool) -> Result<Exit> {
    let key = pinned()?.ok_or_else(no_key)?;
    let path = cache_path()?;
    let mut fleet = Fleet::open()?;
    match fetch_on(&mut fleet, &key, &path)? {
        Fetched::NonePushed => {
            let status = status_of(&key, &path, Some(None), None);
            report(
                &status,
                json,
                "no fleet policy has been pushed yet: nothing to fetch",
            );
        }
        Fetched::InForce(version) => {
            let status = status_of(&key, &path, Some(Some(version)), None);
            report(
                &status,
                json,
                &format!("fleet policy version {version} is already in force"),
            );
        }
        Fetched::New(newest) => {
            let status = status_of(
                &key,
                &path,
                Some(Some(newest.version)),
                Some(newest.version),
            );
            report(
                &status,
                json,
                &format!(
                    "fetched fleet policy version {} (pushed by {} at {}), signature checked against {}; it is the system layer from now on",
                    newest.version,
                    newest.pushed_by,
                    newest.pushed_at,
                    key.fingerprint()
                ),
            );
        }
    }
    Ok(Exit::Success)
}

/// Replace the cache, unless another fetch cached a newer version meanwhile (checked under
/// the writers' lock, so two fetches racing cannot leave the older one in place). In the
/// protected install the file exists (the installer made it, root:gate 0660) and is rewritten
/// in place under an exclusive lock on it (readers take a shared one), with the group raised
/// only for that; elsewhere writers lock `ledger.db.fleet-policy.lock` and rename a new file
/// over the cache.
fn write_cache(path: &Path, signed: &Signed, key: &PublicKey) -> Result<()> {
    use std::io::{Read, Seek};
    let text = signed.cache_text();
    let fail = |e: std::io::Error| Error::Ledger {
        path: path.display().to_string(),
        message: format!("cannot write the fleet policy cache: {e}"),
    };
    let lock = |file: std::fs::File| {
        nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
            .map_err(|(_, e)| fail(e.into()))
    };
    if crate::protected::active() {
        return crate::protected::with_group(|| -> Result<()> {
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .map_err(fail)?;
            let mut file = lock(file)?;
            let mut current = String::new();
            // Not UTF-8: not a cache that verifies, so nothing to compare with.
            let _ = file.read_to_string(&mut current);
            not_older(&current, signed, key)?;
            file.rewind().map_err(fail)?;
            file.set_len(0).map_err(fail)?;
            file.write_all(text.as_bytes()).map_err(fail)?;
            file.sync_all().map_err(fail)
        });
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let lock_file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(crate::ledger::sibling(path, ".lock"))
        .map_err(fail)?;
    let _held = lock(lock_file)?;
    let current = std::fs::read_to_string(path).unwrap_or_default();
    not_older(&current, signed, key)?;
    let tmp = crate::ledger::sibling(path, &format!(".{}.tmp", std::process::id()));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(fail)
}

/// Refuse to replace a cache that verifies and holds a newer version than `signed`.
fn not_older(current: &str, signed: &Signed, key: &PublicKey) -> Result<()> {
    match Signed::parse_cache(current) {
        Ok(Some(c)) if c.version > signed.version && c.verify(key).is_ok() => {
            Err(Error::Config(format!(
                "refusing fleet policy version {}: another `gate policy fetch` cached version {} meanwhile, and versions only rise; version {} stays in force",
                signed.version, c.version, c.version
            )))
        }
        _ => Ok(()),
    }
}

/// What `gate policy status` says. `newest`: `None` when the fleet was not asked, else what
/// it holds.
fn status_of(
    key: &PublicKey,
    path: &Path,
    newest: Option<Option<i64>>,
    fetched: Option<i64>,
) -> crate::json::PolicyStatus {
    let (cached_version, cache_problem) = match signed::read_cache(path, key) {
        Ok(c) => (c.map(|c| c.version), None),
        Err(why) => (None, Some(why)),
    };
    let newest = newest.flatten();
    crate::json::PolicyStatus {
        key_fingerprint: Some(key.fingerprint()),
        cache: path.display().to_string(),
        cached_version,
        cache_problem,
        newest_version: newest,
        behind: matches!((newest, cached_version), (Some(n), c) if c.is_none_or(|c| c < n)),
        fetched,
    }
}

fn report(status: &crate::json::PolicyStatus, json: bool, line: &str) {
    if json {
        crate::json::print(status);
    } else {
        println!("{line}");
    }
}

/// `gate policy status`: the pinned key, the cached version, the fleet's newest.
pub fn status(json: bool) -> Result<Exit> {
    let key = pinned()?;
    let path = cache_path()?;
    let newest = match config::configured()? {
        Some(_) => {
            let mut fleet = Fleet::open()?;
            Some(newest_version(&mut fleet)?)
        }
        None => None,
    };
    let status = match &key {
        Some(k) => status_of(k, &path, newest, None),
        None => crate::json::PolicyStatus {
            key_fingerprint: None,
            cache: path.display().to_string(),
            cached_version: None,
            cache_problem: None,
            newest_version: newest.flatten(),
            behind: false,
            fetched: None,
        },
    };
    if json {
        crate::json::print(&status);
        return Ok(Exit::Success);
    }
    match &status.key_fingerprint {
        Some(f) => println!("pinned key: {f}"),
        None => println!(
            "pinned key: none ([fleet] policy_key in {})",
            crate::policy::system_policy()
        ),
    }
    match (&status.cached_version, &status.cache_problem) {
        (_, Some(why)) => println!("cached: {} cannot be trusted: {why}", status.cache),
        (Some(v), None) => println!("cached: version {v} ({})", status.cache),
        (None, None) => println!("cached: none yet ({})", status.cache),
    }
    match status.newest_version {
        Some(v) if status.behind => {
            println!("fleet: version {v} is newer: run `gate policy fetch`")
        }
        Some(v) => println!("fleet: version {v}"),
        None if newest.is_some() => println!("fleet: no policy pushed yet"),
        None => println!("fleet: not configured"),
    }
    Ok(Exit::Success)
}

/// `gate fleet status`: the newest policy and how many hosts are behind it.
pub fn print_drift(status: &crate::json::FleetStatus) {
    let Some(newest) = status.policy_version else {
        println!("fleet policy: none pushed");
        return;
    };
    let behind = status
        .hosts
        .iter()
        .filter(|h| h.kind == "host" && h.policy_version.is_none_or(|v| v < newest))
        .count();
    println!(
        "fleet policy: version {newest}; {behind} host(s) whose last request was decided under an older one or none"
    );
}

/// A host's policy version after its row, marked when it is behind the newest.
pub fn drift_note(newest: Option<i64>, host: Option<i64>) -> String {
    match (newest, host) {
        (None, None) => String::new(),
        (_, None) => "  policy -".into(),
        (Some(n), Some(v)) if v < n => format!("  policy v{v} (behind v{n})"),
        (_, Some(v)) => format!("  policy v{v}"),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn version(key: &SigningKey, n: i64) -> Signed {
        let body = format!("# version {n}\n");
        Signed {
            version: n,
            sha256: signed::sha256_hex(&body),
            signature: key.sign(n, &body),
            body,
            pushed_by: "ops".into(),
            pushed_at: "t".into(),
        }
    }

    /// Two fetches racing: the one that read an older version writes last and must not win.
    #[test]
    fn a_write_never_replaces_a_newer_cached_version() {
        let (key, _) = SigningKey::generate().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.db.fleet-policy");
        write_cache(&path, &version(&key, 3), &key.public()).unwrap();
        let e = write_cache(&path, &version(&key, 2), &key.public()).unwrap_err();
        assert!(
            e.to_string()
                .contains("another `gate policy fetch` cached version 3"),
            "{e}"
        );
        let cached = signed::read_cache(&path, &key.public()).unwrap().unwrap();
        assert_eq!(cached.version, 3);
        write_cache(&path, &version(&key, 4), &key.public()).unwrap();
        assert_eq!(
            signed::read_cache(&path, &key.public())
                .unwrap()
                .unwrap()
                .version,
            4
        );
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // A cache that does not verify (another key's) is no reason to keep it.
        let (other, _) = SigningKey::generate().unwrap();
        write_cache(&path, &version(&other, 9), &other.public()).unwrap();
        write_cache(&path, &version(&key, 5), &key.public()).unwrap();
    }
}
